-- The language most of a document's text is in (src/search/language.ts), shown on the Documents page.
ALTER TABLE documents ADD COLUMN language text NOT NULL DEFAULT '';
