-- migrate:up
-- A swarm service's stack, derived: Diun sends no key naming it (its metadata keys must match
-- ^[a-zA-Z0-9_]+$, so no com.docker.* label passes through), but `docker stack deploy` names
-- each service "<stack>_<service>", which Diun's swarm provider sends as ctn_name. It comes
-- after the labels a person sets and before the namespaces, as store.StackOf has it. The
-- function is the one of 20261130000301_image_search with that step added.
CREATE OR REPLACE FUNCTION image_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO image_search (image_id, stack, names)
    VALUES (NEW.id,
            coalesce(nullif(NEW.metadata ->> 'stack', ''),
                     nullif(NEW.metadata ->> 'com.docker.compose.project', ''),
                     nullif(NEW.metadata ->> 'com.docker.stack.namespace', ''),
                     CASE WHEN NEW.provider = 'swarm' AND strpos(NEW.metadata ->> 'ctn_name', '_') > 1
                          THEN split_part(NEW.metadata ->> 'ctn_name', '_', 1) END,
                     nullif(NEW.metadata ->> 'pod_namespace', ''),
                     nullif(NEW.metadata ->> 'job_namespace', ''),
                     ''),
            lower(concat_ws(E'\n',
                  coalesce(NEW.metadata ->> 'ctn_names', ''),
                  coalesce(NEW.metadata ->> 'ctn_name', ''),
                  coalesce(NEW.metadata ->> 'pod_name', ''),
                  coalesce(NEW.metadata ->> 'task_name', ''),
                  coalesce(NEW.metadata ->> 'job_name', ''),
                  coalesce(NEW.metadata ->> 'stack', ''),
                  coalesce(NEW.metadata ->> 'com.docker.compose.project', ''),
                  coalesce(NEW.metadata ->> 'com.docker.stack.namespace', ''),
                  coalesce(NEW.metadata ->> 'pod_namespace', ''),
                  coalesce(NEW.metadata ->> 'job_namespace', '')) COLLATE "C"))
    ON CONFLICT (image_id) DO UPDATE SET stack = excluded.stack, names = excluded.names;
    RETURN NULL;
END
$$;

-- The swarm images already there (the trigger refreshes them).
UPDATE images SET metadata = metadata WHERE provider = 'swarm';

-- migrate:down
CREATE OR REPLACE FUNCTION image_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO image_search (image_id, stack, names)
    VALUES (NEW.id,
            coalesce(nullif(NEW.metadata ->> 'stack', ''),
                     nullif(NEW.metadata ->> 'com.docker.compose.project', ''),
                     nullif(NEW.metadata ->> 'com.docker.stack.namespace', ''),
                     nullif(NEW.metadata ->> 'pod_namespace', ''),
                     nullif(NEW.metadata ->> 'job_namespace', ''),
                     ''),
            lower(concat_ws(E'\n',
                  coalesce(NEW.metadata ->> 'ctn_names', ''),
                  coalesce(NEW.metadata ->> 'ctn_name', ''),
                  coalesce(NEW.metadata ->> 'pod_name', ''),
                  coalesce(NEW.metadata ->> 'task_name', ''),
                  coalesce(NEW.metadata ->> 'job_name', ''),
                  coalesce(NEW.metadata ->> 'stack', ''),
                  coalesce(NEW.metadata ->> 'com.docker.compose.project', ''),
                  coalesce(NEW.metadata ->> 'com.docker.stack.namespace', ''),
                  coalesce(NEW.metadata ->> 'pod_namespace', ''),
                  coalesce(NEW.metadata ->> 'job_namespace', '')) COLLATE "C"))
    ON CONFLICT (image_id) DO UPDATE SET stack = excluded.stack, names = excluded.names;
    RETURN NULL;
END
$$;
UPDATE images SET metadata = metadata WHERE provider = 'swarm';
