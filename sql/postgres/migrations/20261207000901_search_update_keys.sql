-- migrate:up
-- The search row's trigger fired whenever metadata differed at all, and Diun's metadata differs
-- in most notifications of an image: ctn_status ("Up 2 hours"), ctn_id and ctn_createdat move
-- with every recreated container. Each firing cost a PL/pgSQL call and an upsert that then
-- wrote nothing (about 35 microseconds a notification, a tenth of the backend's time under
-- load). The condition now compares only the keys image_search_refresh reads, which jsonb
-- looks up without a function call. A migration that makes the function read another key
-- must add it here too (storetest's SearchFollowsEachKey checks every key it reads).
DROP TRIGGER images_search_update ON images;
CREATE TRIGGER images_search_update AFTER UPDATE OF metadata, provider ON images
    FOR EACH ROW WHEN (
        OLD.provider IS DISTINCT FROM NEW.provider
        OR (OLD.metadata -> 'stack', OLD.metadata -> 'com.docker.compose.project',
            OLD.metadata -> 'com.docker.stack.namespace', OLD.metadata -> 'ctn_name',
            OLD.metadata -> 'ctn_names', OLD.metadata -> 'pod_name', OLD.metadata -> 'task_name',
            OLD.metadata -> 'job_name', OLD.metadata -> 'pod_namespace', OLD.metadata -> 'job_namespace')
           IS DISTINCT FROM
           (NEW.metadata -> 'stack', NEW.metadata -> 'com.docker.compose.project',
            NEW.metadata -> 'com.docker.stack.namespace', NEW.metadata -> 'ctn_name',
            NEW.metadata -> 'ctn_names', NEW.metadata -> 'pod_name', NEW.metadata -> 'task_name',
            NEW.metadata -> 'job_name', NEW.metadata -> 'pod_namespace', NEW.metadata -> 'job_namespace'))
    EXECUTE FUNCTION image_search_refresh();

-- migrate:down
DROP TRIGGER images_search_update ON images;
CREATE TRIGGER images_search_update AFTER UPDATE OF metadata, provider ON images
    FOR EACH ROW WHEN (OLD.metadata IS DISTINCT FROM NEW.metadata OR OLD.provider IS DISTINCT FROM NEW.provider)
    EXECUTE FUNCTION image_search_refresh();
