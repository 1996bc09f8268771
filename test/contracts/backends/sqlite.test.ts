import { SqliteChatRepository } from '../../../src/stores/sqlite-chat-repository.ts';
import { openSqliteDatabase } from '../../../src/stores/sqlite-database.ts';
import { SqliteVectorStore } from '../../../src/stores/sqlite-vector-store.ts';
import { runChatRepositoryContract } from '../chat-repository.contract.ts';
import { runVectorStoreContract } from '../vector-store.contract.ts';

runChatRepositoryContract('SqliteChatRepository', async () => new SqliteChatRepository(openSqliteDatabase(':memory:')));
runVectorStoreContract('SqliteVectorStore', async () => new SqliteVectorStore(openSqliteDatabase(':memory:')));
