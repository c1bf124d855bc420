namespace Arca.Metadata;

/// <summary>The control-plane tables. Each entry of <see cref="Migrations"/> runs once, in order (PRAGMA user_version).</summary>
internal static class Schema
{
    public static readonly string[] Migrations =
    [
        """
        CREATE TABLE models(
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            owner TEXT NOT NULL DEFAULT '',
            task_type TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL);

        CREATE TABLE runs(
            run_id TEXT PRIMARY KEY,
            dataset_version TEXT NOT NULL DEFAULT '',
            code_commit TEXT NOT NULL DEFAULT '',
            container_image TEXT NOT NULL DEFAULT '',
            hyperparams TEXT NOT NULL DEFAULT '{}',
            started_at TEXT,
            finished_at TEXT,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL);
        CREATE INDEX runs_dataset ON runs(dataset_version);
        CREATE INDEX runs_commit ON runs(code_commit);
        CREATE INDEX runs_image ON runs(container_image);

        CREATE TABLE versions(
            id INTEGER PRIMARY KEY,
            model_id INTEGER NOT NULL REFERENCES models(id),
            version_no INTEGER NOT NULL,
            artifact_digest TEXT NOT NULL,
            run_id TEXT REFERENCES runs(run_id),
            framework TEXT NOT NULL DEFAULT '',
            metrics TEXT NOT NULL DEFAULT '{}',
            params TEXT NOT NULL DEFAULT '{}',
            tags TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL DEFAULT 'registered',
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE(model_id, version_no),
            UNIQUE(model_id, artifact_digest));
        CREATE INDEX versions_run ON versions(run_id);
        CREATE INDEX versions_created ON versions(model_id, created_at, version_no);

        -- Side tables make metric/param/tag filters and metric sorts index range scans, not JSON scans.
        CREATE TABLE version_metrics(
            version_id INTEGER NOT NULL, model_id INTEGER NOT NULL, version_no INTEGER NOT NULL,
            key TEXT NOT NULL, value REAL NOT NULL,
            PRIMARY KEY(version_id, key)) WITHOUT ROWID;
        CREATE INDEX version_metrics_sort ON version_metrics(model_id, key, value, version_no);

        CREATE TABLE version_params(
            version_id INTEGER NOT NULL, model_id INTEGER NOT NULL,
            key TEXT NOT NULL, num REAL, text TEXT NOT NULL,
            PRIMARY KEY(version_id, key)) WITHOUT ROWID;

        CREATE TABLE version_tags(
            version_id INTEGER NOT NULL, model_id INTEGER NOT NULL,
            key TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY(version_id, key)) WITHOUT ROWID;
        CREATE INDEX version_tags_lookup ON version_tags(model_id, key, value);

        CREATE TABLE aliases(
            model_id INTEGER NOT NULL REFERENCES models(id),
            alias TEXT NOT NULL,
            version_id INTEGER NOT NULL REFERENCES versions(id),
            revision INTEGER NOT NULL,
            updated_by TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY(model_id, alias));

        CREATE TABLE alias_history(
            id INTEGER PRIMARY KEY,
            model_id INTEGER NOT NULL,
            alias TEXT NOT NULL,
            from_version INTEGER,
            to_version INTEGER,
            revision INTEGER NOT NULL,
            actor TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL);
        CREATE INDEX alias_history_lookup ON alias_history(model_id, alias, id);

        CREATE TABLE events(
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            type TEXT NOT NULL,
            model TEXT,
            payload TEXT NOT NULL);

        CREATE TABLE audit(
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            before TEXT,
            after TEXT,
            reason TEXT NOT NULL DEFAULT '',
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL);

        CREATE TABLE tokens(
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            hash BLOB NOT NULL,
            roles TEXT NOT NULL,
            models_glob TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT);
        """,
        """
        CREATE TABLE blobs(
            digest TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            media_type TEXT NOT NULL,
            recipe BLOB NOT NULL,
            new_bytes INTEGER NOT NULL DEFAULT 0,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL) WITHOUT ROWID;

        CREATE TABLE manifests(
            digest TEXT PRIMARY KEY REFERENCES blobs(digest),
            body TEXT NOT NULL,
            created_at TEXT NOT NULL) WITHOUT ROWID;

        CREATE TABLE manifest_layers(
            manifest TEXT NOT NULL,
            position INTEGER NOT NULL,
            path TEXT NOT NULL,
            digest TEXT NOT NULL,
            size INTEGER NOT NULL,
            media_type TEXT NOT NULL,
            PRIMARY KEY(manifest, position)) WITHOUT ROWID;
        """,
    ];
}
