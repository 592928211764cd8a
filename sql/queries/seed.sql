-- seed_first_admin --
-- The tenant's first admin, who creates what the seed adds to an existing tenant.
SELECT id FROM users WHERE role = 'admin' ORDER BY created_at, id LIMIT 1

-- seed_counts --
-- How much of a seeded tenant exists: users, projects and resources.
SELECT (SELECT count(*) FROM users) AS users,
       (SELECT count(*) FROM projects) AS projects,
       (SELECT count(*) FROM resources) AS resources

-- seed_project_ids --
-- The tenant's projects in the order the seed created them.
SELECT id FROM projects ORDER BY created_at, code
