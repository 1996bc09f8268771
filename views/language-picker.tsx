import { LOCALE_NAMES, LOCALES } from '../src/i18n/locale.ts';
import { currentLocale, t } from '../src/i18n/request-locale.ts';

/**
 * The language picker: a plain form (it works without script, and on the login page); with the
 * script, choosing a language submits it (assets/app.js, `data-autosubmit`). The answer brings
 * the reader back to the page they were on (its Referer).
 */
export function LanguagePicker(): JSX.Element {
  const current = currentLocale();
  return (
    <form class="language-picker" method="post" action="/language">
      <label for="language-choice" safe>
        {t('shell.language')}
      </label>
      <select id="language-choice" name="language" data-autosubmit>
        {LOCALES.map((locale) => (
          <option value={locale} selected={locale === current} lang={locale} safe>
            {LOCALE_NAMES[locale]}
          </option>
        ))}
      </select>
      <button type="submit" class="button small" data-autosubmit-fallback safe>
        {t('shell.apply')}
      </button>
    </form>
  );
}
