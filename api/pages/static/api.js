// Every call these pages make: one POST /graphql to the origin that served them (the CSP allows no
// other), JSON in and out, no cookies. A page on another origin makes the same call to regapi's URL,
// once the tenant lists that origin in its policy's cors.allowed_origins.

// Each mutation answers a union: a success, or one of these two failures. Select __typename and these
// fragments, then switch on __typename and on the codes: never on `message`, which is English text for
// people and may change. (The pages do not even ask for it: they show their own texts, by code.)
export const FAILURES = `
      ... on PolicyDenied { code violations { code field attribute } }
      ... on RegistrationError { code field retryAfterSeconds }`;

// The request did not get a GraphQL answer at all (the network, or a refusal before GraphQL, such as
// a body too large): `code` is the refusal's extensions.code, or 'network'.
export class ApiFailure extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

export async function graphql(query, variables) {
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiFailure('network');
  }
  const body = await response.json().catch(() => ({}));
  // Top-level errors are for what a union cannot say: a malformed document, an unknown tenant in a
  // query, an unexpected failure (its message masked). They carry a code too.
  if (!body.data || body.errors?.length) {
    throw new ApiFailure(body.errors?.[0]?.extensions?.code ?? 'generic');
  }
  return body.data;
}

// The query every form starts from: what to ask for, as the tenant's policy says now. A policy change
// changes the form at the next page load, with no release of the page.
export const REGISTRATION_FORM = `
  query RegistrationForm($tenant: ID!, $operation: RegistrationOperation!) {
    registrationForm(tenant: $tenant, operation: $operation) {
      enabled
      usernameKind
      passwordPolicy { minLength requireLowercase requireUppercase requireDigits requireSymbols }
      fields { attribute required writable alreadySet inputType pattern maxLength options value }
    }
  }`;
