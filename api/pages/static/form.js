// Forms built from a RegistrationForm, and failures shown beside their fields.
//
// The ids are the pages' stable hooks (tests and your own stylesheet use them): a form is
// <form id="...">; a field's control is #field-<name>, its hint #hint-<name> and its error
// #error-<name> (role="alert"), both named by the control's aria-describedby so that a screen reader
// reads them with it; the form's own error is #form-error. <name> is the attribute's name as
// registrationForm gives it (field-email, field-custom:plan) or username, password, newPassword, code.

import { ApiFailure } from './api.js';
import { config, labelOf, t } from './i18n.js';

// Standard attributes whose meaning browsers know, so they can offer what the person typed before.
const AUTOCOMPLETE = {
  address: 'street-address',
  birthdate: 'bday',
  email: 'email',
  family_name: 'family-name',
  gender: 'sex',
  given_name: 'given-name',
  locale: 'language',
  middle_name: 'additional-name',
  name: 'name',
  nickname: 'nickname',
  phone_number: 'tel',
  preferred_username: 'username',
  website: 'url',
};
const PASSWORD_CLASSES = [
  ['requireLowercase', 'lowercase'],
  ['requireUppercase', 'uppercase'],
  ['requireDigits', 'digits'],
  ['requireSymbols', 'symbols'],
];
// Cognito's cap on a value, when the policy sets no max_length.
const MAX_VALUE = 2048;

export function element(tag, properties = {}, children = []) {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

function alert(id) {
  const node = element('p', { id, className: 'error' });
  node.setAttribute('role', 'alert');
  return node;
}

// A policy's pattern is a Python regular expression; the browser is given it only where it means the
// same in JavaScript. The forms are sent with novalidate either way: regapi is the judge, and its
// answer names every rule broken at once, in the page's language.
function browserPattern(pattern) {
  if (!pattern) return null;
  const inner = pattern.replace(/^\^/, '').replace(/\$$/, '');
  try {
    new RegExp(inner, 'v');
    return inner;
  } catch {
    return null;
  }
}

export function field(name, options = {}) {
  const { type = 'text', required = false, hint = '', value = '', readOnly = false, choices = null } = options;
  const id = `field-${name}`;
  const control = choices ? element('select') : element('input', { type });
  if (choices) {
    control.append(element('option', { value: '', textContent: t('choose') }));
    control.append(...choices.map((choice) => element('option', { value: choice, textContent: choice })));
  }
  Object.assign(control, { id, name, value, required, readOnly });
  if (options.maxLength) control.maxLength = options.maxLength;
  if (options.minLength) control.minLength = options.minLength;
  if (options.autocomplete) control.autocomplete = options.autocomplete;
  if (options.inputMode) control.inputMode = options.inputMode;
  const pattern = browserPattern(options.pattern);
  if (pattern && !readOnly) control.pattern = pattern;

  const label = element('label', { htmlFor: id, textContent: labelOf(name) });
  if (!required && !readOnly) {
    label.append(' ', element('span', { className: 'optional', textContent: `(${t('optional')})` }));
  }
  const parts = [label];
  const described = [];
  if (hint) {
    parts.push(element('p', { id: `hint-${name}`, className: 'hint', textContent: hint }));
    described.push(`hint-${name}`);
  }
  parts.push(control, alert(`error-${name}`));
  described.push(`error-${name}`);
  control.setAttribute('aria-describedby', described.join(' '));
  return element('div', { className: readOnly ? 'field locked' : 'field' }, parts);
}

// One FormField of registrationForm. An attribute already set (at the first sign-in: what the
// invitation set) is shown locked, with its value, and is never sent again.
export function attributeField(spec) {
  return field(spec.attribute, {
    type: spec.inputType === 'select' ? 'text' : spec.inputType,
    choices: spec.options && !spec.alreadySet ? spec.options : null,
    required: spec.required,
    readOnly: spec.alreadySet,
    value: spec.value ?? '',
    hint: spec.alreadySet ? t('locked') : '',
    maxLength: spec.maxLength,
    pattern: spec.pattern,
    autocomplete: AUTOCOMPLETE[spec.attribute],
  });
}

export function usernameField(usernameKind, value = '') {
  const type = usernameKind === 'EMAIL' ? 'email' : 'text';
  return field('username', { type, required: true, value, autocomplete: 'username' });
}

// `policy`: registrationForm's passwordPolicy, told as a hint (and used in the violations' texts).
export function passwordField(name, policy, autocomplete) {
  let hint = '';
  if (policy) {
    const classes = PASSWORD_CLASSES.filter(([rule]) => policy[rule]).map(([, name]) => t(`class.${name}`));
    hint = t('password.length', { min: policy.minLength });
    if (classes.length) {
      hint += t('sentence.separator') + t('password.needs', { classes: classes.join(t('list.separator')) });
    }
  }
  return field(name, { type: 'password', required: true, autocomplete, hint, minLength: policy?.minLength });
}

// A form that sets a password for a known username (first sign-in, reset) names it too, unseen, so
// that password managers store the new password under the right account.
export function hiddenUsername(username) {
  return element('input', { type: 'text', name: 'username', value: username, autocomplete: 'username', hidden: true });
}

export function codeField() {
  return field('code', { required: true, autocomplete: 'one-time-code', inputMode: 'numeric' });
}

export function formOf(id, fields, submitText, intro = '') {
  const form = element('form', { id, noValidate: true });
  if (intro) form.append(element('p', { className: 'intro', textContent: intro }));
  const formError = alert('form-error');
  formError.tabIndex = -1; // focused when the failure concerns no field
  form.append(formError, ...fields, element('button', { type: 'submit', textContent: submitText }));
  return form;
}

export function valueOf(form, name) {
  return form.elements.namedItem(name)?.value ?? '';
}

// The attributes to send: what the person may write and wrote. Empty fields are left out, so a required
// one comes back as REQUIRED_ATTRIBUTE_MISSING, beside its field.
export function attributesOf(form, specs) {
  return specs
    .filter((spec) => spec.writable && !spec.alreadySet)
    .map((spec) => ({ name: spec.attribute, value: valueOf(form, spec.attribute).trim() }))
    .filter((attribute) => attribute.value !== '');
}

export function errorText({ code, retryAfterSeconds }) {
  if (code === 'TOO_MANY_ATTEMPTS') {
    if (!retryAfterSeconds) return t('error.TOO_MANY_ATTEMPTS.later');
    return t('error.TOO_MANY_ATTEMPTS', { minutes: Math.max(1, Math.ceil(retryAfterSeconds / 60)) });
  }
  for (const key of [`${config.page}.error.${code}`, `error.${code}`]) {
    if (key in config.messages) return t(key);
  }
  return t('error.generic');
}

function errorSlot(form, name) {
  return form.querySelector(`#${CSS.escape(`error-${name}`)}`);
}

// A PolicyDenied or RegistrationError, shown on the form: each violation beside the field of its
// attribute (or of its input field: username, password, ...), what concerns no field of this form in
// #form-error; then the focus moves to the first field in error.
export function showFailure(form, failure) {
  clearErrors(form);
  const texts = new Map(); // the field's name, or '' for the form -> its texts
  const add = (name, text) => texts.set(name, [...(texts.get(name) ?? []), text]);
  const target = (...names) => names.find((name) => name && errorSlot(form, name)) ?? '';
  if (failure.__typename === 'PolicyDenied') {
    for (const violation of failure.violations) {
      const name = target(violation.attribute, violation.field);
      const control = name ? form.elements.namedItem(name) : null;
      const label = labelOf(name || violation.attribute || violation.field);
      const max = control?.maxLength > 0 ? control.maxLength : MAX_VALUE;
      add(name, t(`violation.${violation.code}`, { label, max, min: control?.minLength > 0 ? control.minLength : '' }));
    }
    if (!texts.has('')) add('', t('error.POLICY_VIOLATION'));
  } else {
    add(target(failure.field), errorText(failure));
  }
  for (const [name, lines] of texts) {
    const slot = name ? errorSlot(form, name) : form.querySelector('#form-error');
    slot.textContent = lines.join(t('sentence.separator'));
    if (name) form.elements.namedItem(name).setAttribute('aria-invalid', 'true');
  }
  (form.querySelector('[aria-invalid="true"]') ?? form.querySelector('#form-error')).focus();
}

export function clearErrors(form) {
  for (const node of form.querySelectorAll('.error')) node.replaceChildren();
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
}

// On submit: the form is marked busy (a second press sends nothing), `handle` runs; a call that got no
// GraphQL answer at all is shown as the form's error.
export function onSubmit(form, handle) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    form.setAttribute('aria-busy', 'true');
    try {
      await handle();
    } catch (error) {
      if (!(error instanceof ApiFailure)) throw error;
      showFailure(form, { __typename: 'RegistrationError', code: error.code, field: null });
    } finally {
      form.removeAttribute('aria-busy');
    }
  });
}

// A new step of the page (the first-login form, the done state): its heading, and the focus on it, so
// that a screen reader says where the person is now.
export function setHeading(text) {
  const heading = document.getElementById('title');
  heading.textContent = text;
  document.title = `${text} – ${config.displayName}`;
  heading.focus();
}

export function statusLine(text = '') {
  const node = element('p', { id: 'form-status', className: 'status', textContent: text });
  node.setAttribute('role', 'status');
  return node;
}
