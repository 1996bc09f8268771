import { CardPage } from './shell.tsx';

export function ErrorPage({ status, message }: { status: number; message: string }): JSX.Element {
  const heading = status === 404 ? 'Not found' : status < 500 ? 'That did not work' : 'Something went wrong';
  return (
    <CardPage title={String(status)} heading={heading}>
      <p class="status-code" safe>{`Error ${status}`}</p>
      <p safe>{message}</p>
      <p>
        <a class="button primary" href="/">
          Back to the chat
        </a>
      </p>
    </CardPage>
  );
}
