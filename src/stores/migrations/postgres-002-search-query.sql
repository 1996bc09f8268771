-- The standalone question a follow-up was rewritten to, shown with the sources.
ALTER TABLE messages ADD COLUMN search_query text;
