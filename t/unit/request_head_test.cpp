#include <CppUTest/TestHarness.h>

#include <string>

#include "common/io/request_head.h"

using namespace mpmcxx;
using H = HeadCheck;

TEST_GROUP(RequestHead){};

TEST(RequestHead, AWholeHeadIsComplete)
{
    CHECK(check_request_head("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 16384) == H::complete);
    CHECK(check_request_head("GET / HTTP/1.0\r\n\r\n", 16384) == H::complete);
    CHECK(check_request_head("GET / HTTP/1.1\nHost: x\n\n", 16384) == H::complete);    // bare LF
    CHECK(check_request_head("\r\nGET / HTTP/1.1\r\n\r\n", 16384) == H::complete);     // leading empty line
    CHECK(check_request_head("POST /f HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", 16384) == H::complete);
    CHECK(check_request_head("GET /old\r\n", 16384) == H::complete);                   // HTTP/0.9
    CHECK(check_request_head("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 16384) == H::complete);  // h2 preface
}

TEST(RequestHead, APartialHeadIsIncomplete)
{
    CHECK(check_request_head("G", 16384) == H::incomplete);
    CHECK(check_request_head("GET", 16384) == H::incomplete);
    CHECK(check_request_head("GET / HT", 16384) == H::incomplete);
    CHECK(check_request_head("GET / HTTP/1.1\r\n", 16384) == H::incomplete);
    CHECK(check_request_head("GET / HTTP/1.1\r\nHost: x\r\n", 16384) == H::incomplete);
    CHECK(check_request_head("GET / HTTP/1.1\r\nHost: x\r\nX-a: b\r", 16384) == H::incomplete);
    CHECK(check_request_head("\r\n", 16384) == H::incomplete);
}

TEST(RequestHead, WhatIsNotAnHttp1RequestStartIsNotOurs)
{
    CHECK(check_request_head("", 16384) == H::not_ours);
    CHECK(check_request_head(std::string("\x16\x03\x01\x02\x00", 5), 16384) == H::not_ours);  // TLS
    CHECK(check_request_head(std::string("\x00\x00\x12\x04", 4), 16384) == H::not_ours);      // h2 frame
    CHECK(check_request_head("GET\t/ HTTP/1.1\r\n", 16384) == H::not_ours);
    CHECK(check_request_head(" GET / HTTP/1.1\r\n", 16384) == H::not_ours);
    CHECK(check_request_head(std::string(40, 'A'), 16384) == H::not_ours);  // no method is this long
}

TEST(RequestHead, AHeadLargerThanThePeekIsLeftToTheModules)
{
    std::string big = "GET / HTTP/1.1\r\nX: " + std::string(100, 'y');
    CHECK(check_request_head(big, big.size() + 1) == H::incomplete);
    CHECK(check_request_head(big, big.size()) == H::not_ours);
    std::string line = "GET /" + std::string(50, 'p');
    CHECK(check_request_head(line, line.size()) == H::not_ours);
}
