# Firestore: the event store and the read models (functions/runtime/firestore.py).

resource "google_firestore_database" "default" {
  name                              = "(default)"
  location_id                       = var.firestore_location
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "PESSIMISTIC"
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [google_project_service.enabled]
}

# The relay job's query: collection group `events` where published == false, oldest first.
resource "google_firestore_index" "unpublished_events" {
  database    = google_firestore_database.default.name
  collection  = "events"
  query_scope = "COLLECTION_GROUP"

  fields {
    field_path = "published"
    order      = "ASCENDING"
  }

  fields {
    field_path = "occurred_at"
    order      = "ASCENDING"
  }
}

# Single-field indexes are kept per collection only; the same query without an order
# needs `published` indexed across the collection group too.
resource "google_firestore_field" "events_published" {
  database   = google_firestore_database.default.name
  collection = "events"
  field      = "published"

  index_config {
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION"
    }
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION_GROUP"
    }
  }
}

# The envelope is the event's JSON text, never queried: indexing it would cost a write of
# up to 1,500 bytes of index per event for nothing.
resource "google_firestore_field" "events_envelope" {
  database   = google_firestore_database.default.name
  collection = "events"
  field      = "envelope"

  index_config {}
}

# The leaderboard (functions/telegram/leaderboard.py): top referrers of all time and of this
# month among those who did not hide, and the asker's rank (a count above their own), are
# queries over the per-user `loyalty` documents; each equality-plus-order pair needs its
# composite index.
resource "google_firestore_index" "leaderboard_all_time" {
  database    = google_firestore_database.default.name
  collection  = "loyalty"
  query_scope = "COLLECTION"

  fields {
    field_path = "hidden"
    order      = "ASCENDING"
  }

  fields {
    field_path = "total"
    order      = "DESCENDING"
  }
}

resource "google_firestore_index" "leaderboard_month" {
  database    = google_firestore_database.default.name
  collection  = "loyalty"
  query_scope = "COLLECTION"

  fields {
    field_path = "hidden"
    order      = "ASCENDING"
  }

  fields {
    field_path = "month"
    order      = "ASCENDING"
  }

  fields {
    field_path = "month_earned"
    order      = "DESCENDING"
  }
}
