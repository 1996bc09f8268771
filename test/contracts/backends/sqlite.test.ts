import { SqliteAccountStore } from '../../../src/stores/sqlite-account-store.ts';
import { SqliteChatRepository } from '../../../src/stores/sqlite-chat-repository.ts';
import { openSqliteDatabase } from '../../../src/stores/sqlite-database.ts';
import { SqliteDocumentCatalog } from '../../../src/stores/sqlite-document-catalog.ts';
import { SqliteVectorStore } from '../../../src/stores/sqlite-vector-store.ts';
import { runAccountStoreContract } from '../account-store.contract.ts';
import { runChatRepositoryContract } from '../chat-repository.contract.ts';
import { runDocumentCatalogContract } from '../document-catalog.contract.ts';
import { runVectorStoreContract } from '../vector-store.contract.ts';

runChatRepositoryContract('SqliteChatRepository', async () => new SqliteChatRepository(openSqliteDatabase(':memory:')));
runVectorStoreContract('SqliteVectorStore', async () => new SqliteVectorStore(openSqliteDatabase(':memory:')));
runDocumentCatalogContract(
  'SqliteDocumentCatalog',
  async () => new SqliteDocumentCatalog(openSqliteDatabase(':memory:')),
);

runAccountStoreContract('SqliteAccountStore', async () => new SqliteAccountStore(openSqliteDatabase(':memory:')));
