"""The self-service family: what anyone may call for themselves, without a credential (sign-up,
sign-in, recovery) or with their own access token (the account). One class per flow; they share only
the modules of api.registration, never the admin family."""
