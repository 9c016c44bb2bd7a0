// /t/<tenant>/sign-up: the SIGN_UP form of registrationForm, sent with signUp.

import { FAILURES, graphql, REGISTRATION_FORM } from './api.js';
import {
  attributeField,
  attributesOf,
  element,
  formOf,
  onSubmit,
  passwordField,
  setHeading,
  showFailure,
  usernameField,
  valueOf,
} from './form.js';
import { config, go, queryParam, t } from './i18n.js';

const SIGN_UP = `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      __typename
      ... on SignUpSuccess { nextStep }
      ${FAILURES}
    }
  }`;

export async function start(app) {
  const variables = { tenant: config.tenant, operation: 'SIGN_UP' };
  const { registrationForm: spec } = await graphql(REGISTRATION_FORM, variables);
  if (!spec.enabled) {
    // An invitation-only tenant (registration.self_signup: false): no form, and why.
    const notice = { id: 'sign-up-disabled', className: 'notice', textContent: t('sign-up.disabled') };
    app.replaceChildren(element('p', notice));
    return;
  }
  const form = formOf(
    'sign-up-form',
    [
      usernameField(spec.usernameKind, queryParam('username') ?? ''),
      passwordField('password', spec.passwordPolicy, 'new-password'),
      ...spec.fields.map(attributeField),
    ],
    t('sign-up.submit'),
  );
  app.replaceChildren(form);

  onSubmit(form, async () => {
    const username = valueOf(form, 'username').trim();
    const input = {
      tenant: config.tenant,
      username,
      password: valueOf(form, 'password'),
      attributes: attributesOf(form, spec.fields),
    };
    const { signUp: result } = await graphql(SIGN_UP, { input });
    if (result.__typename !== 'SignUpSuccess') {
      showFailure(form, result);
      return;
    }
    switch (result.nextStep) {
      case 'CONFIRM_SIGN_UP': // a code was sent to the address: confirm it on the next page
        go('confirm', { username });
        break;
      case 'AWAIT_APPROVAL': // registration.approval_required: an administrator lets the person in
        setHeading(t('sign-up.awaiting.title'));
        app.replaceChildren(element('section', { id: 'done' }, [element('p', { textContent: t('sign-up.awaiting') })]));
        break;
      default: // DONE: nothing left to confirm
        go('sign-in', { username });
    }
  });
}
