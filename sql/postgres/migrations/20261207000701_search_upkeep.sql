-- migrate:up
-- The search row of an image is rewritten only when what it is made of changed. Every webhook
-- sets metadata (the same, most of the time: a container's names and labels do not change
-- with its image), and the trigger wrote a new version of the row each time (a dead tuple and
-- WAL per notification). Now the update trigger fires only when metadata or provider differ,
-- and the function writes only a row whose stack or names differ. A migration that changes
-- the function must refresh image_search itself (a "SET metadata = metadata" no longer fires).
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
    ON CONFLICT (image_id) DO UPDATE SET stack = excluded.stack, names = excluded.names
    WHERE (image_search.stack, image_search.names) IS DISTINCT FROM (excluded.stack, excluded.names);
    RETURN NULL;
END
$$;

DROP TRIGGER images_search ON images;
CREATE TRIGGER images_search_insert AFTER INSERT ON images
    FOR EACH ROW EXECUTE FUNCTION image_search_refresh();
CREATE TRIGGER images_search_update AFTER UPDATE OF metadata, provider ON images
    FOR EACH ROW WHEN (OLD.metadata IS DISTINCT FROM NEW.metadata OR OLD.provider IS DISTINCT FROM NEW.provider)
    EXECUTE FUNCTION image_search_refresh();

-- migrate:down
DROP TRIGGER images_search_update ON images;
DROP TRIGGER images_search_insert ON images;
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

CREATE TRIGGER images_search AFTER INSERT OR UPDATE OF metadata ON images
    FOR EACH ROW EXECUTE FUNCTION image_search_refresh();
