-- Indexes for list filters that 0001 does not cover; each leads with tenant_id.

-- GET /v1/audit?entity_id= without entity_type.
CREATE INDEX audit_entity_id_idx ON audit_log (tenant_id, entity_id, at, id);
-- GET /v1/projects?active= and GET /v1/resources?active= page by (name, id) among the active.
CREATE INDEX resources_active_idx ON resources (tenant_id, name, id) WHERE deactivated_at IS NULL;
CREATE INDEX projects_active_idx ON projects (tenant_id, name, id) WHERE deactivated_at IS NULL;
