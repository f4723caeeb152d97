// Entry point of the njs module: `js_import region_router from region-router.js;`
import { region, routeBody } from './njs/handlers';

export default { region, routeBody };
