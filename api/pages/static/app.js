// The hosted pages' entry point, and the reference SPA's: each page is one module with a start(app)
// that renders into <div id="app"> from the public GraphQL API. Copy what you need: nothing here
// depends on being served by regapi but the settings block (i18n.js), and no build step is involved.

import { ApiFailure } from './api.js';
import * as confirm from './confirm.js';
import { element, errorText } from './form.js';
import * as forgotPassword from './forgot-password.js';
import { config } from './i18n.js';
import * as signIn from './sign-in.js';
import * as signUp from './sign-up.js';

const PAGES = {
  'sign-up': signUp,
  confirm,
  'sign-in': signIn,
  'forgot-password': forgotPassword,
};

const app = document.getElementById('app');
const page = PAGES[config.page];
// The done page, and a sign-up page of an invitation-only tenant, are complete as served: no #app.
if (app && page) {
  page.start(app).catch((error) => {
    // The page could not even load its form (the network, the service): say so where the form would be.
    if (!(error instanceof ApiFailure)) throw error;
    const message = element('p', { id: 'form-error', className: 'error', tabIndex: -1, textContent: errorText(error) });
    message.setAttribute('role', 'alert');
    app.replaceChildren(message);
  });
}
