-- SSA Workbench session recording (.ssarec), format version 2.
--
-- This file is the source of truth: the build embeds it into ssa_sessions and
-- the Writer runs it on a new file. Open any recording in the stock sqlite3
-- shell and query it:  sqlite3 run.ssarec 'SELECT step, loss FROM train_steps'.
--
-- Conventions
--  * A file may hold several runs (runs.id); every other table keys on run_id.
--  * Large numeric arrays are blobs of little-endian values whose element type
--    (*_dtype) and count sit in columns beside them. Element types:
--      1 float16, 2 float32, 3 uint8, 4 int8, 5 int32, 6 int64.
--  * Stream positions are indices into the run's token stream (layouts).
--  * Heads: a "row" of a score or selection record is one query head, or one
--    KV group in `group` GQA mode (runs.num_score_heads rows at most).
--  * One row per (run, step, layer, level) of detail, so that a viewer loads
--    only the (step, layer) it shows.
--
-- Identity: application_id 'SSAR' (0x53534152); user_version = format version.
-- A reader refuses files with another application_id or a newer version.
-- Version history: 1 (2026-11-25), the first; 2 (2026-12-02): runs.failure (a
-- run stopped by an error says why). A later version that changes a table adds
-- its migration from the previous one to recording_format.cpp; a Writer that
-- appends to an older file migrates it first, a Reader reads it as it is.
--
-- What the Reader checks (sessions/record_checks.h), so that no viewer has to:
-- roles within the levels, chunk and group ids counted from the roles, gists
-- scored and chosen inside the layout with the role of their level, chosen
-- gists among the row's candidates, heads and layers within the run's shape,
-- decode steps one per step from a first one >= 0, detail steps within them,
-- mask rows monotonic with causal key blocks of a known kind, config_json as
-- below. A file that breaks one is refused with the table and row named.

PRAGMA application_id = 1397965138;
PRAGMA user_version = 2;

-- Key/value facts about the file itself: writer, format, creation time.
CREATE TABLE recording (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- One decode or training session. Its status: finished = 1, it closed
-- cleanly; failure set, an error stopped it (the reason, one line); neither,
-- it is still recording, or was interrupted or killed (a training run that is
-- resumed continues the same run).
--
-- config_json: a JSON object, the run's full configuration. Its keys depend on
-- the kind ('train': the training config as given; 'layout': the layout
-- settings of `ssa-workbench mask`). The viewers read these keys, which the
-- Reader checks where present (a key of the wrong type refuses the run):
--   task             string   'passkey', 'kv', 'multidoc' or 'text'
--   answer           string   the text the task expects back
--   answer_chunk     integer  chunk id holding the answer, -1 none
--   answer_chunks    array of integers, the same for several chunks
--   answer_position  integer  stream position of the answer, -1 none
--   answer_positions array of integers
--   baseline         string   'none' (SSA selection), 'full', 'gist-only', 'oracle', 'recency'
--   k                integer  >= 1, chunks chosen per level
--   mode             string   'head', 'group' or 'independent' (GQA)
--   shadow_full      boolean  the full-attention mass was measured (coverage)
--   budget           string   how each level's k was set: 'fixed' (k), 'auto' (the
--                             reference's formula), 'reference' (the formula at
--                             levels 0 and 1, k above), 'top-p' (by top_p)
--   dense_layers     integer  >= 0: the first N layers did not select (their suffix
--                             queries attended to their training-mask row), so
--                             they have no score or selection rows
-- Recordings without budget / dense_layers predate them: every layer selected,
-- and auto_k (boolean) said whether the formula set k.
-- Written by `record` besides (informative, not checked): model (string),
-- context (integer, bytes), quarter_cap (boolean), top_p
-- (number in [0, 1]), seed (integer), layout (object, the gist layout
-- settings), previous_chunks (integer).
CREATE TABLE runs (
  id              INTEGER PRIMARY KEY,
  name            TEXT    NOT NULL,
  kind            TEXT    NOT NULL,              -- 'decode', 'train', 'layout', ...
  config_json     TEXT    NOT NULL DEFAULT '{}', -- full run configuration (above)
  model_hash      TEXT    NOT NULL DEFAULT '',   -- hash of the weights file
  created_utc     TEXT    NOT NULL,              -- ISO 8601
  num_layers      INTEGER NOT NULL DEFAULT 0,    -- 0 unknown
  num_score_heads INTEGER NOT NULL DEFAULT 0,    -- rows per score record, 0 unknown
  num_levels      INTEGER NOT NULL DEFAULT 0,    -- 1 = SSA, > 1 = H-SSA, 0 unknown
  finished        INTEGER NOT NULL DEFAULT 0,    -- 1 once the run closed cleanly
  dropped_details INTEGER NOT NULL DEFAULT 0,    -- layer steps dropped by a full queue
  failure         TEXT                           -- NULL, or why the run failed (version 2)
);

-- The token stream of a run. Every array has `length` elements except
-- group_ids (length x (num_levels - 1), row-major [position][level - 1]) and
-- piece_offsets (length + 1 offsets into piece_bytes; NULL when no text).
CREATE TABLE layouts (
  run_id        INTEGER PRIMARY KEY REFERENCES runs(id),
  settings_json TEXT    NOT NULL,
  length        INTEGER NOT NULL,
  num_levels    INTEGER NOT NULL,
  prefix_length INTEGER NOT NULL,  -- positions up to and including the last top-level gist
  sink_length   INTEGER NOT NULL,  -- positions of the attention sink
  token_ids     BLOB    NOT NULL,  -- int64
  roles         BLOB    NOT NULL,  -- int8: 0 raw, 1 gist, k+1 meta-gist of level k
  chunk_ids     BLOB    NOT NULL,  -- int32: level-0 chunk id
  group_ids     BLOB    NOT NULL,  -- int32: level-1.. group ids
  raw_index     BLOB    NOT NULL,  -- int64: raw-token index, -1 for gists
  positions     BLOB    NOT NULL,  -- int64: RoPE position ids
  piece_offsets BLOB,              -- int64: text of position i = piece_bytes[off[i], off[i+1])
  piece_bytes   BLOB
);

-- The training mask in block form (CSR over query blocks), never L x L.
CREATE TABLE masks (
  run_id          INTEGER PRIMARY KEY REFERENCES runs(id),
  block_size      INTEGER NOT NULL,
  previous_chunks INTEGER NOT NULL,
  query_blocks    INTEGER NOT NULL,  -- row_offsets has query_blocks + 1 entries
  entries         INTEGER NOT NULL,  -- key_blocks and kinds have `entries` entries
  row_offsets     BLOB    NOT NULL,  -- int64
  key_blocks      BLOB    NOT NULL,  -- int32
  kinds           BLOB    NOT NULL   -- uint8: 1 full, 2 partial (gists only), 3 partial (mixed)
);

-- Optimiser steps and held-out evaluations.
CREATE TABLE train_steps (
  run_id            INTEGER NOT NULL REFERENCES runs(id),
  step              INTEGER NOT NULL,
  is_eval           INTEGER NOT NULL,  -- 1 for a held-out evaluation
  loss              REAL    NOT NULL,
  learning_rate     REAL    NOT NULL,
  tokens_per_second REAL    NOT NULL,
  grad_norm         REAL    NOT NULL,
  PRIMARY KEY (run_id, step, is_eval)
) WITHOUT ROWID;

-- Decode steps: the token produced, its cost and coverage figures.
CREATE TABLE decode_steps (
  run_id             INTEGER NOT NULL REFERENCES runs(id),
  step               INTEGER NOT NULL,
  token_id           INTEGER NOT NULL,
  text               TEXT    NOT NULL,
  seconds            REAL    NOT NULL,
  keys_scored        INTEGER NOT NULL,  -- gist keys scored, summed over levels
  keys_read          INTEGER NOT NULL,  -- keys attended
  full_mass_coverage REAL    NOT NULL,  -- mass of chosen chunks under full attention, -1 unknown
  answer_unfolded    INTEGER NOT NULL,  -- 1/0 when the task knows its answer chunk, -1 unknown
  PRIMARY KEY (run_id, step)
) WITHOUT ROWID;

-- Lists of candidate stream positions, stored once and shared by every score
-- record that scored the same list (the top level scores the same gists at
-- every step and layer).
CREATE TABLE candidate_sets (
  id        INTEGER PRIMARY KEY,
  run_id    INTEGER NOT NULL REFERENCES runs(id),
  count     INTEGER NOT NULL,
  positions BLOB    NOT NULL  -- int32 stream positions
);

-- Scores and selection at one level of one (step, layer): the detail the GUI
-- loads per (step, layer). Score rows: `rows` heads (heads blob, int32). If
-- score_offsets is NULL every row scored the whole candidate set and scores is
-- a rows x count matrix; otherwise the candidate set is the rows' lists
-- concatenated and score_offsets (int32, rows + 1) delimits them. The
-- selection is CSR too: chosen_offsets (int32, chosen_rows + 1) into chosen
-- (int32 stream positions). Either half may be NULL when not recorded.
CREATE TABLE level_records (
  run_id         INTEGER NOT NULL REFERENCES runs(id),
  step           INTEGER NOT NULL,
  layer          INTEGER NOT NULL,
  level          INTEGER NOT NULL,
  rows           INTEGER NOT NULL,  -- score rows (0 when no scores)
  heads          BLOB,              -- int32 head or KV group of each score row
  candidate_set  INTEGER REFERENCES candidate_sets(id),
  score_offsets  BLOB,
  score_dtype    INTEGER,           -- 1 float16 or 2 float32
  scores         BLOB,
  chosen_rows    INTEGER NOT NULL,  -- selection rows (0 when no selection)
  chosen_heads   BLOB,              -- int32 head or KV group of each selection row
  chosen_offsets BLOB,
  chosen         BLOB,
  PRIMARY KEY (run_id, step, layer, level)
);
-- One layer across steps (score timelines).
CREATE INDEX level_records_by_layer ON level_records (run_id, layer, level, step);

-- What was unfolded: one row per (level, step, chunk or group) chosen by any
-- layer and head at that step. Rows are keyed step before id so that each
-- commit appends at the end of the table (an id-major key would rewrite
-- pages all over the table at every commit, a cost growing with the file).
-- "When was chunk 17 unfolded?" is one key lookup per step; the Reader
-- issues them in one query (Reader::unfolds), without touching any blob.
CREATE TABLE unfolds (
  run_id     INTEGER NOT NULL REFERENCES runs(id),
  level      INTEGER NOT NULL,  -- 0: id is a chunk id; k: a level-k group id
  step       INTEGER NOT NULL,
  id         INTEGER NOT NULL,
  layer_mask INTEGER NOT NULL,  -- bit l set when layer l (< 64) chose it
  picks      INTEGER NOT NULL,  -- (layer, row) pairs that chose it
  PRIMARY KEY (run_id, level, step, id)
) WITHOUT ROWID;

-- Named bookmarks and notes a user adds (in the GUI or with SQL).
CREATE TABLE bookmarks (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES runs(id),
  step        INTEGER NOT NULL DEFAULT -1,  -- -1: the whole run
  layer       INTEGER NOT NULL DEFAULT -1,  -- -1: every layer
  position    INTEGER NOT NULL DEFAULT -1,  -- stream position, -1: none
  name        TEXT    NOT NULL,
  note        TEXT    NOT NULL DEFAULT '',
  created_utc TEXT    NOT NULL
);
CREATE INDEX bookmarks_by_step ON bookmarks (run_id, step);
