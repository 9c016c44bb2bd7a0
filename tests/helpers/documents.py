"""The GraphQL documents the tests send, written as a frontend would write them."""

REFUSALS = """
    ... on PolicyDenied { code message policyRevision violations { code field attribute message } }
    ... on RegistrationError { code message field retryAfterSeconds }
"""

FORM_FIELDS = """
    tenant operation enabled usernameKind policyRevision
    passwordPolicy { minLength requireLowercase requireUppercase requireDigits requireSymbols }
    fields { attribute required writable immutable alreadySet inputType pattern maxLength options value }
"""

REGISTRATION_FORM = f"""
query Form($tenant: ID!, $operation: RegistrationOperation!) {{
  registrationForm(tenant: $tenant, operation: $operation) {{ {FORM_FIELDS} }}
}}
"""

INVITE_USER = f"""
mutation Invite($input: InviteUserInput!) {{
  inviteUser(input: $input) {{
    __typename
    ... on InviteUserSuccess {{ username userStatus temporaryPasswordExpiresAt }}
    {REFUSALS}
  }}
}}
"""

SIGN_UP = f"""
mutation SignUp($input: SignUpInput!) {{
  signUp(input: $input) {{
    __typename
    ... on SignUpSuccess {{ nextStep codeDelivery {{ medium destination }} }}
    {REFUSALS}
  }}
}}
"""

CONFIRM_SIGN_UP = f"""
mutation Confirm($input: ConfirmSignUpInput!) {{
  confirmSignUp(input: $input) {{
    __typename
    ... on ConfirmSignUpSuccess {{ userStatus }}
    {REFUSALS}
  }}
}}
"""

RESEND_CODE = f"""
mutation Resend($input: ResendConfirmationCodeInput!) {{
  resendConfirmationCode(input: $input) {{
    __typename
    ... on ResendConfirmationCodeSuccess {{ codeDelivery {{ medium destination }} }}
    {REFUSALS}
  }}
}}
"""

SIGN_IN = f"""
mutation SignIn($input: SignInInput!) {{
  signIn(input: $input) {{
    __typename
    ... on SignInSuccess {{ tokens {{ idToken accessToken refreshToken expiresIn tokenType }} }}
    ... on NewPasswordRequired {{ session form {{ {FORM_FIELDS} }} }}
    ... on AddressVerificationRequired {{ session codeDelivery {{ medium destination }} }}
    {REFUSALS}
  }}
}}
"""

CONFIRM_SIGN_IN = f"""
mutation ConfirmSignIn($input: ConfirmSignInInput!) {{
  confirmSignIn(input: $input) {{
    __typename
    ... on SignInSuccess {{ tokens {{ idToken accessToken refreshToken expiresIn tokenType }} }}
    {REFUSALS}
  }}
}}
"""

RESPOND_NEW_PASSWORD = f"""
mutation Respond($input: RespondToNewPasswordChallengeInput!) {{
  respondToNewPasswordChallenge(input: $input) {{
    __typename
    ... on SignInSuccess {{ tokens {{ idToken accessToken refreshToken expiresIn tokenType }} }}
    {REFUSALS}
  }}
}}
"""

FORGOT_PASSWORD = f"""
mutation Forgot($input: ForgotPasswordInput!) {{
  forgotPassword(input: $input) {{
    __typename
    ... on ForgotPasswordSuccess {{ nextStep codeDelivery {{ medium destination }} }}
    {REFUSALS}
  }}
}}
"""

CONFIRM_FORGOT_PASSWORD = f"""
mutation ConfirmForgot($input: ConfirmForgotPasswordInput!) {{
  confirmForgotPassword(input: $input) {{
    __typename
    ... on ConfirmForgotPasswordSuccess {{ nextStep }}
    {REFUSALS}
  }}
}}
"""

ADMIN_RESET_PASSWORD = f"""
mutation AdminReset($input: AdminUserInput!) {{
  adminResetPassword(input: $input) {{
    __typename
    ... on AdminUserSuccess {{ username userStatus enabled }}
    {REFUSALS}
  }}
}}
"""

ME = """
query Me($tenant: ID!) {
  me(tenant: $tenant) {
    __typename
    ... on Profile { tenant username userStatus attributes { name value }
      form { operation fields { attribute writable immutable alreadySet value } } }
    ... on RegistrationError { code message field retryAfterSeconds }
  }
}
"""

UPDATE_ATTRIBUTES = f"""
mutation Update($input: UpdateUserAttributesInput!) {{
  updateUserAttributes(input: $input) {{
    __typename
    ... on UpdateUserAttributesSuccess {{
      profile {{ attributes {{ name value }} }} codeDeliveries {{ medium destination }}
    }}
    {REFUSALS}
  }}
}}
"""

VERIFY_ATTRIBUTE = f"""
mutation Verify($input: VerifyUserAttributeInput!) {{
  verifyUserAttribute(input: $input) {{
    __typename ... on VerifyUserAttributeSuccess {{ attribute verified }} {REFUSALS}
  }}
}}
"""

CHANGE_PASSWORD = f"""
mutation Change($input: ChangePasswordInput!) {{
  changePassword(input: $input) {{ __typename ... on ChangePasswordSuccess {{ changed }} {REFUSALS} }}
}}
"""

REFRESH_TOKENS = """
mutation Refresh($input: RefreshTokensInput!) {
  refreshTokens(input: $input) {
    __typename
    ... on SignInSuccess { tokens { idToken accessToken refreshToken expiresIn tokenType } }
    ... on RegistrationError { code message field retryAfterSeconds }
  }
}
"""

SIGN_OUT = f"""
mutation SignOut($input: SignOutInput!) {{
  signOut(input: $input) {{ __typename ... on SignOutSuccess {{ signedOut }} {REFUSALS} }}
}}
"""

USERS = """
query Users($tenant: ID!, $status: UserStatus, $first: Int, $after: String) {
  users(tenant: $tenant, status: $status, first: $first, after: $after) {
    __typename
    ... on UserList { users { username userStatus enabled createdAt attributes { name value } } nextCursor }
    ... on RegistrationError { code message field retryAfterSeconds }
  }
}
"""

ADMIN_UPDATE_ATTRIBUTES = f"""
mutation AdminUpdate($input: AdminUpdateUserAttributesInput!) {{
  adminUpdateUserAttributes(input: $input) {{
    __typename ... on AdminUpdateUserAttributesSuccess {{ user {{ username attributes {{ name value }} }} }} {REFUSALS}
  }}
}}
"""


def admin_user_action(name: str) -> str:
    """disableUser, enableUser, deleteUser or adminResetPassword: one user in, the user's state out."""
    return f"""
mutation Act($input: AdminUserInput!) {{
  {name}(input: $input) {{ __typename ... on AdminUserSuccess {{ username userStatus enabled }} {REFUSALS} }}
}}
"""


EXPLAIN = """
query Explain($input: ExplainRegistrationInput!) {
  explainRegistration(input: $input) {
    allowed tenant operation policyRevision violations { code field attribute message }
  }
}
"""


def attrs(**values: str) -> list[dict[str, str]]:
    """GraphQL attribute inputs; `custom_plan` becomes `custom:plan`."""
    return [{"name": name.replace("custom_", "custom:", 1), "value": value} for name, value in values.items()]


def codes(result: dict[str, object]) -> set[tuple[str, str | None]]:
    """The (violation code, attribute) pairs of a PolicyDenied."""
    violations = result["violations"]
    assert isinstance(violations, list)
    return {(v["code"], v["attribute"]) for v in violations}


def fields_of(result: dict[str, object]) -> set[tuple[str, str]]:
    """The (violation code, input field) pairs of a PolicyDenied."""
    violations = result["violations"]
    assert isinstance(violations, list)
    return {(v["code"], v["field"]) for v in violations}
