package sqlstore

// Types a schema spells differently per engine.
type Types struct {
	Int  string // 64-bit integer
	Blob string // bytes
	// IDColumn declares an auto-assigned, ascending 64-bit primary key.
	IDColumn string
	// WithoutRowID is appended to tables keyed by their primary key.
	WithoutRowID string
}

// Schema returns the DDL of every table, in the engine's types.
func Schema(t Types) []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS accounts (
			app ` + t.Int + ` NOT NULL,
			id TEXT NOT NULL,
			nick TEXT NOT NULL DEFAULT '',
			face_url TEXT NOT NULL DEFAULT '',
			created ` + t.Int + ` NOT NULL,
			kicked_at ` + t.Int + ` NOT NULL DEFAULT 0,
			deleted ` + t.Int + ` NOT NULL DEFAULT 0,
			PRIMARY KEY (app, id)
		)` + t.WithoutRowID,
		// One row per C2C message, seen from both sides. conv is the two
		// UserIDs in byte order joined by NUL; history reads walk c2c_conv.
		`CREATE TABLE IF NOT EXISTS c2c_messages (
			id ` + t.IDColumn + `,
			app ` + t.Int + ` NOT NULL,
			conv TEXT NOT NULL,
			sender TEXT NOT NULL,
			receiver TEXT NOT NULL,
			time ` + t.Int + ` NOT NULL,
			seq ` + t.Int + ` NOT NULL,
			random ` + t.Int + ` NOT NULL,
			body ` + t.Blob + ` NOT NULL,
			custom TEXT NOT NULL DEFAULT '',
			push ` + t.Blob + `,
			flags ` + t.Int + ` NOT NULL,
			origin ` + t.Int + ` NOT NULL,
			offline_until ` + t.Int + ` NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS c2c_conv ON c2c_messages (app, conv, time, seq, id)`,
	}
}
