import { Layout } from './layout.tsx';

export function ErrorPage({ status, message }: { status: number; message: string }): JSX.Element {
  return (
    <Layout title={`${status} · ragchat`}>
      <main class="error-page">
        <h1>{status === 404 ? 'Not found' : 'Something went wrong'}</h1>
        <p safe>{message}</p>
        <p>
          <a href="/">Back to the chat</a>
        </p>
      </main>
    </Layout>
  );
}
