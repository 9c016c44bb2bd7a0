"""The admin family: what a tenant's administrator calls with the tenant's API key or an admin's access
token. Admin answers may say whether a user exists (the caller holds the tenant's credentials). It shares
only the modules of api.registration with the self-service family, never imports it."""
