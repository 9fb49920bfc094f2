package config

import "strings"

// DefaultProductionTokenBudget is LLM_DAILY_TOKEN_BUDGET in production when
// it is not set: a cap on what one user (or one stolen token) can make the
// model providers bill per day, high enough that nobody chatting by hand
// reaches it (about a hundred long replies). Development keeps no budget.
const DefaultProductionTokenBudget = 200000

// unsetBudget marks LLM_DAILY_TOKEN_BUDGET as not set until resolveBudget
// picks the default of the mode; values set are never negative.
const unsetBudget = -1

// budgetSpec is the LLM_DAILY_TOKEN_BUDGET key: an integer whose default
// depends on CHATBOX_ENV, so an empty default leaves it unset.
func budgetSpec() spec[Config] {
	s := intSpec(Key{Env: "LLM_DAILY_TOKEN_BUDGET", TOMLPath: "llm.daily_token_budget",
		Doc: "Tokens (input plus output, as the providers report them) one user's replies may use per UTC day; once used up, new messages get a quota_exceeded error until midnight UTC, and a reply never asks for more output tokens than are left. Unset: 200000 in production, no budget otherwise; 0: no budget."},
		0, 1000000000, "", func(c *Config) *int { return &c.LLM.DailyTokenBudget })
	set := s.set
	s.set = func(c *Config, v value) error {
		if strings.TrimSpace(v.text) == "" {
			c.LLM.DailyTokenBudget = unsetBudget
			return nil
		}
		return set(c, v)
	}
	return s
}

// resolveBudget gives an unset LLM_DAILY_TOKEN_BUDGET the default of the
// mode.
func resolveBudget(c *Config) {
	if c.LLM.DailyTokenBudget != unsetBudget {
		return
	}
	c.LLM.DailyTokenBudget = 0
	if c.Production() {
		c.LLM.DailyTokenBudget = DefaultProductionTokenBudget
	}
}
