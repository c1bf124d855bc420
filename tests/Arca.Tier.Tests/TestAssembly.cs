// Every test starts its own origin → seeder → edge tree of real processes: on a small machine they run one at a
// time, so a slow start or a promotion's one-second bound is not at the mercy of another test's downloads.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
