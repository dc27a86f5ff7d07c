#include "util/csv.h"

#include <cstdio>

#include "util/error.h"

namespace murmur::util::csv {

int Table::column(const std::string& name) const {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return int(i);
  return -1;
}

std::string quote(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string format_row(const Row& row) {
  std::string out;
  for (size_t i = 0; i < row.size(); ++i) {
    if (i) out += ',';
    out += quote(row[i]);
  }
  return out + "\n";
}

std::vector<Row> parse_rows(const std::string& text, const std::string& source, std::vector<int>* lines) {
  std::vector<Row> rows;
  Row row;
  std::string field;
  size_t i = 0, n = text.size();
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;
  int line = 1, row_line = 1;
  bool row_has_content = false;
  auto end_field = [&] {
    row.push_back(field);
    field.clear();
  };
  auto end_row = [&] {
    end_field();
    if (row_has_content) {
      rows.push_back(row);
      if (lines) lines->push_back(row_line);
    }
    row.clear();
    row_has_content = false;
  };
  while (i < n) {
    char c = text[i];
    if (!row_has_content && row.empty() && field.empty()) row_line = line;
    if (c == '"' && field.empty()) {
      // A quoted field: up to the closing quote; "" is a quote.
      const int start_line = line;
      ++i;
      bool closed = false;
      while (i < n) {
        char q = text[i];
        if (q == '"') {
          if (i + 1 < n && text[i + 1] == '"') { field += '"'; i += 2; continue; }
          ++i;
          closed = true;
          break;
        }
        if (q == '\n' || (q == '\r' && !(i + 1 < n && text[i + 1] == '\n'))) ++line;
        field += q;
        ++i;
      }
      if (!closed) throw Error(source + ":" + std::to_string(start_line) + ": unterminated quoted field");
      row_has_content = true;
      continue;
    }
    if (c == ',') {
      end_field();
      row_has_content = true;
      ++i;
      continue;
    }
    if (c == '\r' || c == '\n') {
      end_row();
      if (c == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
      ++i;
      ++line;
      continue;
    }
    field += c;
    if (c != ' ' && c != '\t') row_has_content = true;
    ++i;
  }
  if (!field.empty() || !row.empty()) end_row();
  return rows;
}

Table parse(const std::string& text, const std::string& source) {
  Table t;
  std::vector<int> lines;
  auto rows = parse_rows(text, source, &lines);
  if (rows.empty()) throw Error(source + ": empty (no header row)");
  t.header = rows[0];
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() != t.header.size())
      throw Error(source + ":" + std::to_string(lines[r]) + ": " + std::to_string(rows[r].size()) +
                  " fields, the header has " + std::to_string(t.header.size()));
    t.rows.push_back(std::move(rows[r]));
    t.lines.push_back(lines[r]);
  }
  return t;
}

std::string printable(const std::string& text, size_t max_chars) {
  std::string out;
  for (size_t i = 0; i < text.size() && out.size() < max_chars; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += char(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  if (out.size() >= max_chars && text.size() > max_chars) out += "...";
  return out;
}

}  // namespace murmur::util::csv
