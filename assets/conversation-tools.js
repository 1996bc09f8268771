// The conversation tools' behaviour that is not a request (views/conversation-tools.tsx): opening
// the inline rename form, copying an answer as Markdown, and editing a question in the composer.
(() => {
  const composerText = () => document.getElementById('message');
  const editOf = () => document.getElementById('edit-of');
  const editingNote = () => document.getElementById('editing-note');
  let lastEditOf = '';
  const say = window.ragchatSay;

  const closeRename = (li) => {
    const form = li?.querySelector('.rename-form');
    if (!form) return;
    form.hidden = true;
    li.classList.remove('renaming');
    li.querySelector('[data-rename]')?.focus();
  };

  const stopEditing = () => {
    if (editOf()) editOf().value = '';
    if (editingNote()) editingNote().hidden = true;
  };

  // A copy that works where the Clipboard API is refused (an insecure origin, an old browser).
  const copyByCommand = (text) => {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    const done = document.execCommand('copy');
    area.remove();
    return done;
  };

  // The Markdown comes from the API (GET /api/messages/:id/markdown), the same text it returns.
  // A ClipboardItem given the pending fetch keeps the click's permission to write while it loads.
  const copy = async (button) => {
    const url = button.dataset.markdownUrl;
    if (!url) return;
    const markdown = () =>
      fetch(url, { credentials: 'same-origin' }).then((r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        return r.text();
      });
    let done = false;
    try {
      if (window.ClipboardItem && navigator.clipboard?.write) {
        const blob = markdown().then((text) => new Blob([text], { type: 'text/plain' }));
        await navigator.clipboard.write([new ClipboardItem({ 'text/plain': blob })]);
      } else {
        await navigator.clipboard.writeText(await markdown());
      }
      done = true;
    } catch {
      try {
        done = copyByCommand(await markdown());
      } catch {
        done = false;
      }
    }
    button.textContent = done ? say('copied', 'Copied') : say('copyFailed', 'Copy failed');
    setTimeout(() => {
      button.textContent = say('copy', 'Copy');
    }, 2000);
  };

  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const rename = target.closest('[data-rename]');
    if (rename) {
      const li = rename.closest('li');
      const form = li?.querySelector('.rename-form');
      if (!form) return;
      form.hidden = false;
      li.classList.add('renaming');
      const input = form.querySelector('input[name="title"]');
      input?.focus();
      input?.select();
      return;
    }
    if (target.closest('[data-rename-cancel]')) {
      closeRename(target.closest('li'));
      return;
    }
    const copyButton = target.closest('.copy-answer');
    if (copyButton) {
      void copy(copyButton);
      return;
    }
    const edit = target.closest('[data-edit-question]');
    if (edit && composerText() && editOf()) {
      composerText().value = edit.dataset.text ?? '';
      editOf().value = edit.dataset.editQuestion ?? '';
      editingNote().hidden = false;
      composerText().dispatchEvent(new Event('input', { bubbles: true }));
      composerText().focus();
      return;
    }
    if (target.closest('#cancel-edit')) {
      stopEditing();
      composerText()?.focus();
    }
  });

  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    const target = event.target instanceof Element ? event.target : null;
    if (target?.closest('.rename-form')) closeRename(target.closest('li'));
    else if (target === composerText() && editOf()?.value) stopEditing();
  });

  // The edit is sent with the question (the form's values are read before this event); a refusal
  // puts it back with the text, so Send retries the same edit.
  document.addEventListener('htmx:before:request', (event) => {
    if (event.target?.id !== 'composer') return;
    lastEditOf = editOf()?.value ?? '';
    stopEditing();
  });
  const restore = (event) => {
    if (event.target?.id !== 'composer' || !lastEditOf || !editOf()) return;
    editOf().value = lastEditOf;
    editingNote().hidden = false;
  };
  document.addEventListener('htmx:response:error', restore);
  document.addEventListener('htmx:error', restore);
})();
