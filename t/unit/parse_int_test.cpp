#include <string>

#include "common/config/parse_int.h"

#include <CppUTest/TestHarness.h>

using namespace mpmcxx::config;

TEST_GROUP(ParseInt){};

TEST(ParseInt, AcceptsPlainSignedIntegers)
{
    CHECK_EQUAL(0, parse_int("0").value);
    CHECK_EQUAL(150, parse_int("150").value);
    CHECK_EQUAL(-3, parse_int("-3").value);
    CHECK_EQUAL(7, parse_int("+7").value);
    CHECK(parse_int("2147483647").error == IntError::none);
    CHECK_EQUAL(-2147483647 - 1, parse_int("-2147483648").value);
}

TEST(ParseInt, RefusesWhatAtoiWouldGuess)
{
    for (const char* bad : {"", "abc", "10abc", "0x10", "1e3", " 5", "5 ", "+", "-", "+-1", "1.5", "١٢"}) {
        CHECK_TRUE_TEXT(parse_int(bad).error == IntError::not_a_number, bad);
    }
}

TEST(ParseInt, RefusesValuesOutsideInt)
{
    CHECK(parse_int("2147483648").error == IntError::out_of_range);
    CHECK(parse_int("-2147483649").error == IntError::out_of_range);
    CHECK(parse_int("99999999999999999999").error == IntError::out_of_range);
}

TEST(ParseInt, MessageNamesDirectiveAndValue)
{
    STRCMP_EQUAL("StartServers: 'abc' is not a valid integer",
                 int_error_message("StartServers", "abc", IntError::not_a_number).c_str());
    STRCMP_EQUAL("ServerLimit: '99999999999' is out of range",
                 int_error_message("ServerLimit", "99999999999", IntError::out_of_range).c_str());
    CHECK(int_error_message("X", "1", IntError::none).empty());
}
