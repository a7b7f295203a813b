-- Files the team sends from the inbox (images, audio, video, documents) are kept like the media
-- contacts send: the message is `fetched` from the start and its bytes are in channel_media,
-- with the name the file goes out under (a contact's media has none).
ALTER TABLE channel_media
  ADD COLUMN name text CHECK (name IS NULL OR length(name) BETWEEN 1 AND 200);
