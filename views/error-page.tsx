import { t } from '../src/i18n/request-locale.ts';
import { CardPage } from './shell.tsx';

export function ErrorPage({ status, message }: { status: number; message: string }): JSX.Element {
  const heading = t(status === 404 ? 'errorPage.notFound' : status < 500 ? 'errorPage.refused' : 'errorPage.failed');
  return (
    <CardPage title={String(status)} heading={heading}>
      <p class="status-code" safe>
        {t('errorPage.status', { status: String(status) })}
      </p>
      <p safe>{message}</p>
      <p>
        <a class="button primary" href="/" safe>
          {t('errorPage.back')}
        </a>
      </p>
    </CardPage>
  );
}
