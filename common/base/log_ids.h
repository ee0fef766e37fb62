#pragma once
// Stable message IDs. Every line the MPMs log starts with "CXXnnnnn: ".
// - An ID whose number equals a stock "AHnnnnn" marks the same event, with the same wording, as the stock
//   MPMs: an admin's search for AH00161 translates to CXX00161.
// - IDs from 90000 up are ours (events stock does not have). docs/log-messages.md lists every ID.
// Use it like httpd's APLOGNO: ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, CXXLOGNO(00161) "text ...").
#define CXXLOGNO(n) "CXX" #n ": "
