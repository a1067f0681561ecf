"""odr core: settings, database, accounts, authorization, organisations, audit, outbox, storage, HTTP app, CLI."""
