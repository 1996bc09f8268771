import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { Page } from 'playwright-core';
import { browserSuite } from '../support/browser.ts';
import { makeTestApp } from '../support/test-deps.ts';

/**
 * Questions in other languages than English, in a real browser, over the English sample corpus
 * plus one Spanish and one Chinese document: each is answered from the document in its language,
 * under the frame of its language, and Chinese sentences are quoted whole.
 */
const SPANISH = `# Política de viajes

El alojamiento durante los viajes de trabajo no puede superar los 120 euros por noche.

Los gastos se reembolsan en un plazo de 30 días después del viaje.
`;
const CHINESE = `# 差旅制度

出差住宿标准为每晚不超过500元。报销须在出差结束后30天内完成。如有疑问，请联系财务部！
`;

const encode = (text: string) => new TextEncoder().encode(text);
const suite = browserSuite(async () => {
  const t = await makeTestApp();
  await t.deps.ingestion.ingestMany([
    { key: 'politicas/viajes.md', bytes: encode(SPANISH) },
    { key: 'policies/chuchai.md', bytes: encode(CHINESE) },
  ]);
  return t;
});
let page: Page;
beforeAll(async () => {
  page = await suite.browser.newPage({ viewport: { width: 1180, height: 820 } });
});
afterAll(async () => {
  await page?.close();
});

async function ask(question: string): Promise<{ answer: string; firstSource: string }> {
  await page.goto(suite.base);
  await page.locator('#message').fill(question);
  await page.locator('#message').press('Enter');
  await page.locator('.msg.assistant.complete').waitFor({ timeout: 20_000 });
  return {
    answer: (await page.locator('.msg.assistant .answer').textContent()) ?? '',
    firstSource: (await page.locator('.msg.assistant .sources .source .title').first().textContent()) ?? '',
  };
}

test('a Spanish question is answered from the Spanish document, under the Spanish frame', async () => {
  const { answer, firstSource } = await ask('¿Cuánto puede costar el alojamiento por noche?');
  expect(answer).toStartWith('Según los documentos:');
  expect(answer).toContain('no puede superar los 120 euros por noche.');
  expect(firstSource).toBe('Política de viajes');
  expect(await page.locator('.msg.assistant .answer a.cite').count()).toBeGreaterThan(0);
});

test('a Chinese question is answered from the Chinese document, its sentences quoted whole', async () => {
  const { answer, firstSource } = await ask('报销要在多少天内完成？');
  expect(answer).toStartWith('根据文档：');
  expect(answer).toContain('报销须在出差结束后30天内完成。');
  expect(answer).not.toContain('。.');
  expect(firstSource).toBe('差旅制度');
});

test('the Documents page shows the language detected in each document', async () => {
  await page.goto(`${suite.base}/docs`);
  const language = (title: string) =>
    page.locator('tr', { has: page.locator('.title-cell', { hasText: title }) }).locator('.badge.language');
  expect(await language('Política de viajes').textContent()).toBe('es');
  expect(await language('Política de viajes').getAttribute('title')).toBe('Spanish');
  expect(await language('差旅制度').textContent()).toBe('zh');
  expect(await language('Asking questions').textContent()).toBe('en');
});
