"""Screening results: roster, SQLite results store, CSV export, silhouettes, CLI.

    store = ResultsStore.open(path or default_db_path())     # store.py: durability contract
    roster.import_roster(store, csv_path); roster.lookup(store, id_or_barcode)
    export.export_csv(store, out_dir)                        # sessions.csv, reps.csv
    sync_worker.SyncWorker(path, "postgresql://...").start()  # sync_worker.py: to the club server
    bundle.export_bundle(store, file); bundle.import_bundle(store, file)   # no network
    pg.open_results("postgresql://..." or path)              # the merged view, or one file
See docs/results.md for the schema, the CLI and where the file lives.

The package imports nothing itself: its modules import one another by name
(`from kiosk.results import paths`), and an __init__ that loaded the store made that a
circle through a half-loaded package.
"""
