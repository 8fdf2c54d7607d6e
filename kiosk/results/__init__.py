"""Screening results: roster, SQLite results store, CSV export, silhouettes, CLI.

    store = ResultsStore.open(path or default_db_path())     # store.py: durability contract
    roster.import_roster(store, csv_path); roster.lookup(store, id_or_barcode)
    export.export_csv(store, out_dir)                        # sessions.csv, reps.csv
    sync_worker.SyncWorker(path, "postgresql://...").start()  # sync_worker.py: to the club server
    bundle.export_bundle(store, file); bundle.import_bundle(store, file)   # no network
    pg.open_results("postgresql://..." or path)              # the merged view, or one file
See docs/results.md for the schema, the CLI and where the file lives.
"""

from kiosk.results.model import StoreError
from kiosk.results.paths import default_db_path
from kiosk.results.store import ResultsStore

__all__ = ["ResultsStore", "StoreError", "default_db_path"]
