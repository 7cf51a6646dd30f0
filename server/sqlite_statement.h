#pragma once
// A prepared SQLite statement that finalizes itself, shared by the SQLite store's files.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>

namespace convlat::server {

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr); }
  SqliteStatement(sqlite3* db, const std::string& sql) : SqliteStatement(db, sql.c_str()) {}
  ~SqliteStatement() { sqlite3_finalize(statement_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  bool prepared() const { return rc_ == SQLITE_OK; }
  void Bind(int index, int64_t value) { sqlite3_bind_int64(statement_, index, value); }
  void Bind(int index, double value) { sqlite3_bind_double(statement_, index, value); }
  void BindNull(int index) { sqlite3_bind_null(statement_, index); }
  void Bind(int index, const std::string& text) {
    sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int index, const std::string& bytes) {
    sqlite3_bind_blob(statement_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  }
  int Step() { return sqlite3_step(statement_); }
  // Ready to run again with new bindings.
  void Reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  int64_t Int(int column) { return sqlite3_column_int64(statement_, column); }
  std::string Blob(int column) {
    const void* data = sqlite3_column_blob(statement_, column);
    return data ? std::string(static_cast<const char*>(data), sqlite3_column_bytes(statement_, column)) : "";
  }
  std::optional<std::string> OptionalText(int column) {
    if (sqlite3_column_type(statement_, column) == SQLITE_NULL) return std::nullopt;
    return Blob(column);
  }

 private:
  sqlite3_stmt* statement_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

}  // namespace convlat::server
