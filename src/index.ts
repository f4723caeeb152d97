// Entry point of the njs module: `js_import region_router from region-router.js;`
import handlers from './njs/handlers';

export default handlers;
