// /t/<tenant>/forgot-password: forgotPassword sends a code (it answers the same for an unknown user, so
// the page cannot tell either), then confirmForgotPassword sets the new password with it.

import { FAILURES, graphql, REGISTRATION_FORM } from './api.js';
import {
  codeField,
  formOf,
  hiddenUsername,
  onSubmit,
  passwordField,
  showFailure,
  usernameField,
  valueOf,
} from './form.js';
import { config, go, queryParam, t } from './i18n.js';

const FORGOT = `
  mutation ForgotPassword($input: ForgotPasswordInput!) {
    forgotPassword(input: $input) {
      __typename
      ... on ForgotPasswordSuccess { nextStep codeDelivery { medium destination } }
      ${FAILURES}
    }
  }`;

const RESET = `
  mutation ConfirmForgotPassword($input: ConfirmForgotPasswordInput!) {
    confirmForgotPassword(input: $input) {
      __typename
      ... on ConfirmForgotPasswordSuccess { nextStep }
      ${FAILURES}
    }
  }`;

export async function start(app) {
  // The password rules are the tenant's for every operation; registrationForm tells them.
  const variables = { tenant: config.tenant, operation: 'SIGN_UP' };
  const { registrationForm: spec } = await graphql(REGISTRATION_FORM, variables);
  const form = formOf(
    'forgot-form',
    [usernameField(spec.usernameKind, queryParam('username') ?? '')],
    t('forgot-password.submit'),
    t('forgot-password.intro'),
  );
  app.replaceChildren(form);

  onSubmit(form, async () => {
    const username = valueOf(form, 'username').trim();
    const { forgotPassword: result } = await graphql(FORGOT, { input: { tenant: config.tenant, username } });
    if (result.__typename !== 'ForgotPasswordSuccess') showFailure(form, result);
    else if (result.nextStep === 'DONE') go('sign-in', { username });
    else reset(app, username, spec.passwordPolicy, result.codeDelivery);
  });
}

function reset(app, username, passwordPolicy, codeDelivery) {
  const form = formOf(
    'reset-form',
    [hiddenUsername(username), codeField(), passwordField('newPassword', passwordPolicy, 'new-password')],
    t('reset.submit'),
    t('reset.intro', { destination: codeDelivery?.destination ?? '' }),
  );
  app.replaceChildren(form);
  form.elements.namedItem('code').focus();

  onSubmit(form, async () => {
    const input = {
      tenant: config.tenant,
      username,
      code: valueOf(form, 'code').trim(),
      newPassword: valueOf(form, 'newPassword'),
    };
    const { confirmForgotPassword: result } = await graphql(RESET, { input });
    if (result.__typename === 'ConfirmForgotPasswordSuccess') go('sign-in', { username, notice: 'password-reset' });
    else showFailure(form, result);
  });
}
