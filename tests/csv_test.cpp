// util/csv: RFC 4180 quoting both ways, every line ending, BOM, and errors that name the line.
#include "util/csv.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace csv = murmur::util::csv;

namespace {

std::string error_of(const std::string& text) {
  try {
    csv::parse(text, "t.csv");
  } catch (const murmur::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Csv, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(csv::quote("plain.wav"), "plain.wav");
  EXPECT_EQ(csv::quote("a,b"), "\"a,b\"");
  EXPECT_EQ(csv::quote("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv::quote("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv::quote(""), "");
  EXPECT_EQ(csv::format_row({"a", "b,c", ""}), "a,\"b,c\",\n");
}

TEST(Csv, RoundTripsAwkwardFields) {
  csv::Row row = {"a,\"b\".wav", "line\r\nbreak", " spaced ", "", "\"", "x"};
  std::string text = csv::format_row({"f1", "f2", "f3", "f4", "f5", "f6"}) + csv::format_row(row);
  auto t = csv::parse(text, "t.csv");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0], row);
  EXPECT_EQ(t.column("f3"), 2);
  EXPECT_EQ(t.column("nope"), -1);
}

TEST(Csv, EveryLineEndingAndBom) {
  for (const char* eol : {"\n", "\r\n", "\r"}) {
    std::string e = eol;
    std::string text = "\xEF\xBB\xBF" "a,b" + e + "1,2" + e + e + "3,\"x" + e + "y\"" + e;
    auto t = csv::parse(text, "t.csv");
    ASSERT_EQ(t.header, (csv::Row{"a", "b"})) << "eol " << int(eol[0]);
    ASSERT_EQ(t.rows.size(), 2u);
    EXPECT_EQ(t.rows[0], (csv::Row{"1", "2"}));
    EXPECT_EQ(t.rows[1], (csv::Row{"3", "x" + e + "y"}));
    EXPECT_EQ(t.lines, (std::vector<int>{2, 4})) << "blank line 3 skipped, line numbers kept";
  }
  // No newline at the end.
  EXPECT_EQ(csv::parse("a,b\n1,2", "t.csv").rows.size(), 1u);
}

TEST(Csv, ErrorsNameSourceAndLine) {
  EXPECT_EQ(error_of("a,b\n1,2\n3,\"open\n4,5\n"), "t.csv:3: unterminated quoted field");
  EXPECT_EQ(error_of("a,b,c\n1,2,3\n4,5\n"), "t.csv:3: 2 fields, the header has 3");
  EXPECT_NE(error_of(""), "");
  EXPECT_EQ(csv::printable("a\x01\xff" "b"), "a\\x01\\xFFb");
}
