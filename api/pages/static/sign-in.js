// /t/<tenant>/sign-in: signIn, then whichever step its answer asks for.
//
// - SignInSuccess: signed in. Its `tokens` (idToken, accessToken, refreshToken) are what your app keeps,
//   in memory, and calls its own API with. These pages are not your app and hand tokens to nobody: they
//   select no token at all (tokenType and expiresIn are no secret), and lead to the done page.
// - NewPasswordRequired: an invited user's first sign-in. Its `form` is the FIRST_SIGN_IN form: the
//   attributes still missing, and those the invitation set (alreadySet: shown locked, never sent again);
//   answered with respondToNewPasswordChallenge and the `session`.
// - AddressVerificationRequired: an approved sign-up's first sign-in; a code went to the address,
//   answered with confirmSignIn and the `session`.
// The session lives in this page's memory only: never in the URL, never in storage.

import { FAILURES, graphql } from './api.js';
import {
  attributeField,
  attributesOf,
  codeField,
  element,
  formOf,
  hiddenUsername,
  onSubmit,
  passwordField,
  setHeading,
  showFailure,
  statusLine,
  usernameField,
  valueOf,
} from './form.js';
import { config, go, pageUrl, queryParam, t } from './i18n.js';

const SIGNED_IN = '... on SignInSuccess { tokens { tokenType expiresIn } }';

const SIGN_IN = `
  mutation SignIn($input: SignInInput!) {
    signIn(input: $input) {
      __typename
      ${SIGNED_IN}
      ... on NewPasswordRequired {
        session
        form {
          passwordPolicy { minLength requireLowercase requireUppercase requireDigits requireSymbols }
          fields { attribute required writable alreadySet inputType pattern maxLength options value }
        }
      }
      ... on AddressVerificationRequired { session codeDelivery { destination } }
      ${FAILURES}
    }
  }`;

const NEW_PASSWORD = `
  mutation RespondToNewPasswordChallenge($input: RespondToNewPasswordChallengeInput!) {
    respondToNewPasswordChallenge(input: $input) {
      __typename
      ${SIGNED_IN}
      ${FAILURES}
    }
  }`;

const CONFIRM_SIGN_IN = `
  mutation ConfirmSignIn($input: ConfirmSignInInput!) {
    confirmSignIn(input: $input) {
      __typename
      ${SIGNED_IN}
      ${FAILURES}
    }
  }`;

// Failures with somewhere to go: a link after the text.
const ONWARD = {
  USER_NOT_CONFIRMED: ['confirm', 'sign-in.enter-code'],
  PASSWORD_RESET_REQUIRED: ['forgot-password', 'sign-in.reset'],
  INVALID_SESSION: ['sign-in', 'link.sign-in'], // the first-login step expired: sign in again
};

function fail(form, result, username) {
  showFailure(form, result);
  const onward = ONWARD[result.code];
  if (result.__typename === 'RegistrationError' && onward) {
    const [page, text] = onward;
    const link = element('a', { href: pageUrl(page, { username }), textContent: t(text) });
    form.querySelector('#form-error').append(' ', link);
  }
}

export async function start(app) {
  const form = formOf(
    'sign-in-form',
    [
      usernameField(config.usernameKind, queryParam('username') ?? ''),
      passwordField('password', null, 'current-password'),
    ],
    t('sign-in.submit'),
  );
  const notice = queryParam('notice'); // set by the page that led here: confirmed, password-reset
  const status = statusLine(notice && `notice.${notice}` in config.messages ? t(`notice.${notice}`) : '');
  app.replaceChildren(status, form);

  onSubmit(form, async () => {
    const username = valueOf(form, 'username').trim();
    const input = { tenant: config.tenant, username, password: valueOf(form, 'password') };
    const { signIn: result } = await graphql(SIGN_IN, { input });
    switch (result.__typename) {
      case 'SignInSuccess':
        go('done');
        break;
      case 'NewPasswordRequired':
        newPassword(app, username, result);
        break;
      case 'AddressVerificationRequired':
        verifyAddress(app, username, result);
        break;
      default:
        fail(form, result, username);
    }
  });
}

function newPassword(app, username, { session, form: spec }) {
  const form = formOf(
    'new-password-form',
    [
      hiddenUsername(username),
      passwordField('newPassword', spec.passwordPolicy, 'new-password'),
      ...spec.fields.map(attributeField),
    ],
    t('new-password.submit'),
    t('new-password.intro'),
  );
  app.replaceChildren(form);
  setHeading(t('new-password.title'));

  onSubmit(form, async () => {
    const input = {
      tenant: config.tenant,
      username,
      session,
      newPassword: valueOf(form, 'newPassword'),
      attributes: attributesOf(form, spec.fields),
    };
    const { respondToNewPasswordChallenge: result } = await graphql(NEW_PASSWORD, { input });
    if (result.__typename === 'SignInSuccess') go('done');
    else fail(form, result, username);
  });
}

function verifyAddress(app, username, { session, codeDelivery }) {
  const intro = t('verify.intro', { destination: codeDelivery?.destination ?? '' });
  const form = formOf('verify-form', [codeField()], t('verify.submit'), intro);
  app.replaceChildren(form);
  setHeading(t('verify.title'));

  onSubmit(form, async () => {
    const input = { tenant: config.tenant, username, session, code: valueOf(form, 'code').trim() };
    const { confirmSignIn: result } = await graphql(CONFIRM_SIGN_IN, { input });
    if (result.__typename === 'SignInSuccess') go('done');
    else fail(form, result, username);
  });
}
