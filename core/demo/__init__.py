"""Demo data for `make run` and drills: Yunnan's areas and, inside 漾濞彝族自治县, a
deterministic population, organizations, a community fund, depots, volunteers and one
user per role. Only the content depends on the seed; ids and timestamps do not."""
