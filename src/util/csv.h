// CSV as RFC 4180 has it, for every file murmur reads or writes (train.csv, predictions, metadata).
//
//   std::string text = murmur::util::csv::format_row({"file", "note"});   // "file,note\n"
//   text += murmur::util::csv::format_row({"a.wav", "sit, \"quiet\""});   // a.wav,"sit, ""quiet"""
//   murmur::util::csv::Table t = murmur::util::csv::parse(text, "x.csv");
//   t.header[1] == "note";  t.rows[0][1] == "sit, \"quiet\"";  t.lines[0] == 2;
//
// Records end in LF, CRLF or a lone CR (old spreadsheet exports). A field holding a comma, a
// quote, CR or LF is quoted on output, quotes doubled. Parsing errors name the source and line:
// "train.csv:7: unterminated quoted field". A UTF-8 byte-order mark before the header is skipped;
// blank lines are skipped; bytes that are not printable are shown escaped (\xNN) in messages.
#pragma once

#include <string>
#include <vector>

namespace murmur::util::csv {

using Row = std::vector<std::string>;

struct Table {
  Row header;
  std::vector<Row> rows;  // every row has header.size() fields (else parse throws)
  std::vector<int> lines; // 1-based line of each row in the source, for messages
  // Index of a header column, or -1.
  int column(const std::string& name) const;
};

// The field as it must appear in a CSV file (quoted only when needed).
std::string quote(const std::string& field);
// The fields quoted and joined by commas, ending in "\n".
std::string format_row(const Row& row);

// Every record, as fields. Throws murmur::Error("<source>:<line>: ...") on an unterminated quote.
std::vector<Row> parse_rows(const std::string& text, const std::string& source,
                            std::vector<int>* lines = nullptr);
// First record = header; every other record must have as many fields
// (murmur::Error "<source>:<line>: 3 fields, the header has 5").
Table parse(const std::string& text, const std::string& source);

// Text safe to put in a message: at most max_chars, control and non-ASCII bytes as \xNN.
std::string printable(const std::string& text, size_t max_chars = 60);

}  // namespace murmur::util::csv
