-- Issue 15: the estimate's ±15% is shown with the back-test it rests on: the leave-one-out
-- figure over the finished jobs each (GPU type, model size) correction was fitted from.
ALTER TABLE time_model ADD COLUMN backtest_jobs int NOT NULL DEFAULT 0,
    ADD COLUMN backtest_within int NOT NULL DEFAULT 0;
