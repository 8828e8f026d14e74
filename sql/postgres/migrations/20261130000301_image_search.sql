-- migrate:up
-- What the overview's search and its stack filter read besides the image reference: the names
-- Diun's metadata gives a running image (container, pod, task, job), its stack or compose
-- project and its namespace, per image, kept in step with images.metadata by the trigger
-- below (Record, import and this backfill all pass through it), so that no write path has to
-- remember it. A side table rather than a column of images: every query that reads images.*
-- keeps its shape.
--
-- stack is what the overview filters and groups on: the first of the keys `stack`,
-- `com.docker.compose.project`, `com.docker.stack.namespace` (labels a person sets with
-- diun.metadata.*), then Kubernetes' `pod_namespace` and Nomad's `job_namespace`; '' when
-- none. server/web/rowcontext.go derives the same from the metadata, in the same order.
-- names is those values and the names, lower-cased (ASCII only, COLLATE "C", as SQLite's
-- lower() does), one per line, for a substring search.
CREATE TABLE image_search (
    image_id BIGINT PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
    stack    TEXT COLLATE "C" NOT NULL,
    names    TEXT COLLATE "C" NOT NULL
);
CREATE INDEX image_search_stack ON image_search (stack);

-- ->> on metadata that is not an object (JSON null, a string) gives NULL: empty values.
CREATE FUNCTION image_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER images_search AFTER INSERT OR UPDATE OF metadata ON images
    FOR EACH ROW EXECUTE FUNCTION image_search_refresh();

-- The backfill: the trigger fills image_search for the images already there.
UPDATE images SET metadata = metadata;

-- migrate:down
DROP TRIGGER images_search ON images;
DROP FUNCTION image_search_refresh();
DROP TABLE image_search;
