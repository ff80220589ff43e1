-- Issue 9 (privacy): how a client sees its budgets' money. With rates hidden, money appears only
-- at the budget level, yet budget money used ÷ hours used is the blended rate; so the provider
-- chooses per client: 'amounts' (used, allocated, remaining for the period) or 'percentages'
-- (no amount anywhere). The default is the private choice (settings::BudgetMoney).
ALTER TABLE clients ADD COLUMN budget_money TEXT NOT NULL DEFAULT 'percentages'
  CHECK (budget_money IN ('amounts', 'percentages'));
