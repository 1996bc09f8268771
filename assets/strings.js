// The page's sentences in the reader's language, for the other scripts: they come in
// <body data-strings> (views/layout.tsx), as the policy allows no inline script. The English is
// given where a sentence is used, as the fallback for a page rendered without them.
(() => {
  let strings = null;
  window.ragchatSay = (name, english, params = {}) => {
    if (strings === null) {
      try {
        strings = JSON.parse(document.body?.dataset.strings ?? '{}');
      } catch {
        strings = {};
      }
    }
    const text = typeof strings[name] === 'string' ? strings[name] : english;
    return text.replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole));
  };
})();
