// The page's settings and texts, in the page's language, as regapi wrote them into the HTML
// (api/pages/shell.py): a JSON data block, which a strict Content-Security-Policy allows where an inline
// script would not be. A frontend of your own would bundle its texts instead.

export const config = JSON.parse(document.getElementById('page-config').textContent);

// A text by its key, with its {placeholders} filled; {name} is the tenant's name unless given.
export function t(key, params = {}) {
  const text = config.messages[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    if (name in params) return String(params[name]);
    return name === 'name' ? config.displayName : whole;
  });
}

// The label of a form field: the tenant's own (pages.labels, merged in by regapi), the pages' own for a
// standard attribute, else the attribute's name without its custom: prefix.
export function labelOf(name) {
  if (name === 'username') {
    return t(config.usernameKind === 'EMAIL' ? 'field.username.email' : 'field.username');
  }
  for (const key of [`field.${name}`, `attribute.${name}`]) {
    if (key in config.messages) return t(key);
  }
  return name.replace(/^custom:/, '');
}

// Another page of this tenant, in this language: /t/<tenant>/<page>?lang=..&username=..
export function pageUrl(page, params = {}) {
  const search = new URLSearchParams({ lang: config.lang });
  for (const [name, value] of Object.entries(params)) {
    if (value) search.set(name, value);
  }
  return `/t/${encodeURIComponent(config.tenant)}/${page}?${search}`;
}

export function go(page, params) {
  window.location.assign(pageUrl(page, params));
}

export function queryParam(name) {
  return new URLSearchParams(window.location.search).get(name);
}
