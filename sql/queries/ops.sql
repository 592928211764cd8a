-- backlogs --
-- Every delivery queue's waiting items and the age of its oldest, across tenants.
SELECT queue, items, oldest_seconds FROM app_backlogs() ORDER BY queue
