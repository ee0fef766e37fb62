#pragma once
// Replacing children killed by a signal (a crash, the OOM killer, an admin's kill -9).
//
// Waiting for the next maintenance pass (up to a second) leaves the capacity of every killed child
// missing meanwhile, which under a run of kills costs about a third of the requests served. Replacing
// each one at once risks a fork loop when new children die as soon as they start. As stock worker and
// event do, a killed child is replaced at once for up to kMaxSuccessive kills between two maintenance
// passes; further kills wait for the pass (and are reported once in a while).

namespace mpmcxx {

class KillRespawn {
public:
    static constexpr int kMaxSuccessive = 3;
    static constexpr int kReportEvery = 10;

    enum class Action { replace_now, wait_for_pass, wait_and_report };

    Action child_killed() noexcept
    {
        ++successive_;
        if (successive_ <= kMaxSuccessive) {
            return Action::replace_now;
        }
        return (successive_ - kMaxSuccessive) % kReportEvery == 1 ? Action::wait_and_report : Action::wait_for_pass;
    }

    // A regular maintenance pass ran: the kills seen so far are dealt with.
    void maintenance_pass() noexcept { successive_ = 0; }

    int successive() const noexcept { return successive_; }

private:
    int successive_ = 0;
};

}  // namespace mpmcxx
