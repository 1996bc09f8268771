-- A reader's thumbs up or down on an answer, with an optional comment.
ALTER TABLE messages ADD COLUMN feedback_rating text CHECK (feedback_rating IN ('up', 'down'));
ALTER TABLE messages ADD COLUMN feedback_comment text;
ALTER TABLE messages ADD COLUMN feedback_at timestamptz;
