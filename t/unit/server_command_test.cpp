#include "common/lifecycle/drain.h"
#include "common/lifecycle/server_command.h"

#include <CppUTest/TestHarness.h>

using namespace mpmcxx;

TEST_GROUP(ServerCommand){};

TEST(ServerCommand, NothingPending) { CHECK(pending_command({}) == ServerCommand::none); }

TEST(ServerCommand, EachSignalMapsToItsCommand)
{
    CHECK(pending_command({false, true, false}) == ServerCommand::graceful_restart);  // SIGUSR1
    CHECK(pending_command({false, true, true}) == ServerCommand::restart);           // SIGHUP
    CHECK(pending_command({true, false, false}) == ServerCommand::graceful_stop);    // SIGWINCH
    CHECK(pending_command({true, false, true}) == ServerCommand::stop);              // SIGTERM
}

TEST(ServerCommand, ShutdownBeatsRestartAndUngracefulIsSticky)
{
    CHECK(pending_command({true, true, false}) == ServerCommand::graceful_stop);  // USR1 then WINCH
    CHECK(pending_command({true, true, true}) == ServerCommand::stop);            // HUP then WINCH, or TERM
}

TEST(ServerCommand, Names) { STRCMP_EQUAL("graceful-restart", to_string(ServerCommand::graceful_restart)); }

TEST_GROUP(Drain){};

TEST(Drain, RunningChildReportsRunning)
{
    CHECK(reported_child_state(false, false) == ReportedState::running);
    CHECK(reported_child_state(false, true) == ReportedState::running);
}

TEST(Drain, DrainingChildSaysStoppingWhileAResponseIsBuilt)
{
    // So httpd adds "Connection: close" to the response being built.
    CHECK(reported_child_state(true, false) == ReportedState::stopping);
}

TEST(Drain, DrainingChildKeepsAKeepAliveConnectionWaitingForItsNextRequest)
{
    // Closing here would race with a request the client may already have sent.
    CHECK(reported_child_state(true, true) == ReportedState::running);
}

TEST(Drain, AParentsGracefulMarkCountsAsMaybeAfterTheResponse)
{
    CHECK(maybe_after_response(EntryStatus::busy_keepalive));
    // prefork's parent may overwrite the BUSY_KEEPALIVE httpd has just written: still keep the connection.
    CHECK(maybe_after_response(EntryStatus::marked_graceful));
    CHECK_FALSE(maybe_after_response(EntryStatus::other));
}
