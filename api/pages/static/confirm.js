// /t/<tenant>/confirm?username=...: the code sent at sign-up, sent with confirmSignUp; a new one on
// request with resendConfirmationCode (each resend replaces the code before it).

import { FAILURES, graphql } from './api.js';
import {
  clearErrors,
  codeField,
  element,
  formOf,
  onSubmit,
  showFailure,
  statusLine,
  usernameField,
  valueOf,
} from './form.js';
import { config, go, queryParam, t } from './i18n.js';

const CONFIRM = `
  mutation ConfirmSignUp($input: ConfirmSignUpInput!) {
    confirmSignUp(input: $input) {
      __typename
      ... on ConfirmSignUpSuccess { userStatus }
      ${FAILURES}
    }
  }`;

const RESEND = `
  mutation ResendConfirmationCode($input: ResendConfirmationCodeInput!) {
    resendConfirmationCode(input: $input) {
      __typename
      ... on ResendConfirmationCodeSuccess { codeDelivery { medium destination } }
      ${FAILURES}
    }
  }`;

export async function start(app) {
  const form = formOf(
    'confirm-form',
    [usernameField(config.usernameKind, queryParam('username') ?? ''), codeField()],
    t('confirm.submit'),
    t('confirm.intro'),
  );
  const resend = element('button', {
    type: 'button',
    id: 'resend-code',
    className: 'secondary',
    textContent: t('confirm.resend'),
  });
  const status = statusLine();
  app.replaceChildren(form, element('p', {}, [resend]), status);

  onSubmit(form, async () => {
    const username = valueOf(form, 'username').trim();
    const input = { tenant: config.tenant, username, code: valueOf(form, 'code').trim() };
    const { confirmSignUp: result } = await graphql(CONFIRM, { input });
    if (result.__typename === 'ConfirmSignUpSuccess') go('sign-in', { username, notice: 'confirmed' });
    else showFailure(form, result);
  });

  // Not a submit: the same form, the other mutation. Its answer is a status line, or the form's errors.
  resend.addEventListener('click', async () => {
    status.textContent = '';
    const input = { tenant: config.tenant, username: valueOf(form, 'username').trim() };
    try {
      const { resendConfirmationCode: result } = await graphql(RESEND, { input });
      if (result.__typename === 'ResendConfirmationCodeSuccess') {
        clearErrors(form);
        status.textContent = t('confirm.resent', { destination: result.codeDelivery.destination });
      } else {
        showFailure(form, result);
      }
    } catch (error) {
      showFailure(form, { __typename: 'RegistrationError', code: error.code ?? 'generic', field: null });
    }
  });
}
