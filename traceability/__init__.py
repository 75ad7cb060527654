"""Food safety and traceability across the apps (docs/traceability.md): the recall trace from a lot to
every site, window and household it reached, donation receipts and recall reports as documents.

Sits above shipping and referrals (like reports): it reads their selectors and inventory's lots."""
